// SwitchyardWire: see DESIGN.md.
