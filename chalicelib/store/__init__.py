"""The only package that imports PynamoDB. Every function takes the tenant id first and
returns plain dataclasses, so models never leak out."""

from pynamodb.exceptions import PynamoDBException as StoreError

__all__ = ["StoreError"]
