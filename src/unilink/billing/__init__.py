"""Invoices (issue 14, item 5): a tenant's month priced from what was deployed when — pure.

- `month`: the billing month ("2026-11"), checked (malformed, not over yet).
- `lines`: priced states, boosts and windows, one-off charges and burst use → invoice lines that add
  up to the total, VAT apart. Every service pro-rata by the hour; bursts at the 95th percentile
  (`unilink.usage.percentile`, the rule the usage graphs draw).
- `documents`: an issued invoice or credit note as the store keeps it, and its CSV.
- `cii`: the EN 16931 e-invoice (Factur-X / ZUGFeRD CII, UN/CEFACT Cross Industry Invoice D16B).

No I/O: `usecases.invoicing` reads the change history, the orders and the usage samples, calls these
functions and writes what they return through `store.invoice_repo`. See docs/invoices.md.
"""
