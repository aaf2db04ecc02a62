"""The promspec settings of a templated spec, templates it names, --set/--values, starters."""
