"""Jinja2 text templates of supplier notices (a package only so that installs ship them)."""
