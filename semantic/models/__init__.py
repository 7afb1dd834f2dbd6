"""The warehouse's models, one module per layer, in the order the data flows:
raw (the contract) -> staging -> core -> intermediate -> kpis. `registry` lists them in build order."""
