"""The web portal (server-rendered, Jinja2): tenants change their sites, operators watch the backbone.

    from unilink.web.portal import mount_portal
    mount_portal(app)          # pages under /portal, static files under /portal/static, / → /portal/

Modules: `portal` (routes, an adapter over `unilink.access` and the change functions), `session`
(the API token in an HttpOnly SameSite=Strict cookie), `forms` (pure: the change form ⇄ the
desired-state document), `views` (pure: rows and units for the templates), `capacity` (link
reservations now, drawn by `unilink.planning.plots`).
"""
