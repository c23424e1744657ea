from protos.catalog_pb2 import Product


class DemoCatalog:
    """The products the demo's catalog and search services share."""

    PRODUCTS: tuple[Product, ...] = (
        Product(id="prod_123", name="Mechanical keyboard", price=29.99),
        Product(id="prod_456", name="Laptop stand", price=49.99),
        Product(id="prod_789", name="Laptop 14-inch", price=999.0),
        Product(id="prod_790", name="Laptop 16-inch", price=1499.0),
        Product(id="prod_800", name="USB-C cable", price=9.5),
    )

    @classmethod
    def find(cls, product_id: str) -> Product | None:
        return next((product for product in cls.PRODUCTS if product.id == product_id), None)

    @classmethod
    def search(cls, query: str, limit: int) -> list[Product]:
        wanted = query.casefold()
        return [product for product in cls.PRODUCTS if wanted in product.name.casefold()][:limit]
