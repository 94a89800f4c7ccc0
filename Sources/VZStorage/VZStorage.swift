import VZSystem
