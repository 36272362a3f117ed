"""The billing tests' world: acme's November built once per backend (billing_world.py)."""
