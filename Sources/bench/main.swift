print("vpt-bench: under construction")
