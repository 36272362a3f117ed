"""The REST API (FastAPI adapter around the core): `unilink.api.app.create_app(store)`."""
