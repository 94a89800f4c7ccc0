import VZRuntime
print("vzctl")
