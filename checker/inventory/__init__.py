from checker.inventory.loader import load_inventory
from checker.inventory.model import Host, Inventory

__all__ = ["Host", "Inventory", "load_inventory"]
