package cli

// exportPrometheusRulesCmd is built in issue 14.
func exportPrometheusRulesCmd() command {
	return command{name: "prometheus-rules", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}

// exportGrafanaCmd is built in issue 14.
func exportGrafanaCmd() command {
	return command{name: "grafana", summary: "not built yet", new: func() runner { return &notBuilt{} }}
}
