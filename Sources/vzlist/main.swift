import VZRuntime
print("vzlist")
