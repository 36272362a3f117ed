"""The backbone inventory: model, importers, exporters, sample data (see docs/inventory.md).

- `inventory.model`: `Network`, `Pop`, `Router`, `Link`, `Interconnect`, `Demand`, `ImportResult`
  (plain frozen values; bit/s, km, ms).
- `inventory.importers.import_file(path, fmt=None) -> ImportResult`: GraphML (Topology Zoo), SNDlib,
  REPETITA, unilink YAML; all-or-nothing, `ParseError` naming file and line.
  `inventory.importers.read_demands(path, fmt=None)`: demands only (SNDlib traffic matrices too).
- `inventory.exporters.to_yaml(network)`, `to_graphml(network)`.
- `inventory.sample.load_sample_network()`, `load_demo_tenants()`: Interoute 2010 with synthetic
  capacities + the Connectis 78 public backbone + interconnects; demo tenants.
- `inventory.capacity_rules`: the synthetic ring/spur capacity rule and `bridges(network)`.
"""
