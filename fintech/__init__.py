"""The `fintech` command line: the one entry point over the pipelines, the layer and the dashboard."""
