// Placeholder: replaced by the tool.
print("placeholder")
