// SwitchyardWorker: see DESIGN.md.
