"""The protocol as plain Python: values in, values out. No Chalice, jinja2 or boto3 here."""
