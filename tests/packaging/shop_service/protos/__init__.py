"""The shop service's own protos: order.proto, compiled by the packaging test into this folder."""
