// SwitchyardBench: see DESIGN.md.
