"""The notebook's own modules, copied by nb2prod: sales_tools, store_calendar.

Edit them here, or replace them with an installed package and import that.
"""
