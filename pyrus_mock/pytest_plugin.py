"""pytest plugin of pyrus-mock (fixtures only)."""
