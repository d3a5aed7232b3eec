package cli

// exportRemoteWriteCmd is built in issue 14.
func exportRemoteWriteCmd() command {
	return command{name: "remote-write", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}
