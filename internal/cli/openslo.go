package cli

// opensloExportCmd is built in issue 14.
func opensloExportCmd() command {
	return command{name: "export", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}

// opensloImportCmd is built in issue 14.
func opensloImportCmd() command {
	return command{name: "import", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}
