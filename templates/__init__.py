"""Jinja2 templates of the generated package, shipped as nb2prod.templates."""
