package cli

// exportDatadogCmd is built in issue 14.
func exportDatadogCmd() command {
	return command{name: "datadog", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}
