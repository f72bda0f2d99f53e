"""Tests of the supplier-notice delivery layer (dsr_plugins.suppliers)."""
