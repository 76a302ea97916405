// SwitchyardRouter: see DESIGN.md.
