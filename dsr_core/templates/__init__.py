"""Templates ``dsr init`` renders (a package so that a wheel ships them)."""
