import VZConfig
