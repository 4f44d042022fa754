from checker.inventory.loader import LoadOptions, load_inventory
from checker.inventory.model import Host, Inventory

__all__ = ["Host", "Inventory", "LoadOptions", "load_inventory"]
