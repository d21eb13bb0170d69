"""Getting data in: the import contract and its checks (importer), the templates offered to
fill in (templates), reviewed standard boundaries (boundaries)."""
