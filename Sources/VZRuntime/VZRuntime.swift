import VZStorage
