"""Who is calling and what they may do: roles and principals, tokens and passwords, accounts (users,
tokens, the audit log), token → principal on every request, login throttling, tenant scoping.

The layer below both HTTP adapters: `api` (the REST API) and `web` (the portal) import it, it imports
neither (and nothing of `cli`). Its queries are in `unilink.store.accounts_repo`.
"""
