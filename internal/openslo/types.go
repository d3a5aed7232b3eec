package openslo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"
)

// The OpenSLO v1 objects headroom writes and reads. They mirror the
// OpenSLO Go SDK's (github.com/OpenSLO/go-sdk/pkg/openslo/v1) field for
// field, with the same JSON names, so that what export writes is the same
// byte for byte; the SDK itself is left to the tests, which decode and
// validate export's output with it. Linking it (and its validation
// library) would double the binary and every headroom process's memory.

// apiVersion is the one OpenSLO version headroom reads and writes.
const apiVersion = "openslo/v1"

// OpenSLO v1 kinds.
const (
	kindService                 = "Service"
	kindSLI                     = "SLI"
	kindSLO                     = "SLO"
	kindDataSource              = "DataSource"
	kindAlertPolicy             = "AlertPolicy"
	kindAlertCondition          = "AlertCondition"
	kindAlertNotificationTarget = "AlertNotificationTarget"
)

// Object is an OpenSLO v1 object.
type Object interface {
	GetKind() string
	GetName() string
}

// Metadata is an object's metadata.
type Metadata struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]Label  `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Label is a label's values: one string or a list.
type Label []string

// UnmarshalJSON reads one string or a list of strings.
func (a *Label) UnmarshalJSON(data []byte) error {
	var multi []string
	if err := json.Unmarshal(data, &multi); err != nil {
		var single string
		if err = json.Unmarshal(data, &single); err != nil {
			return err
		}
		*a = []string{single}
	} else {
		*a = multi
	}
	return nil
}

// Operator compares a value with a threshold.
type Operator string

// Operators.
const (
	OperatorGT  Operator = "gt"
	OperatorLT  Operator = "lt"
	OperatorGTE Operator = "gte"
	OperatorLTE Operator = "lte"
)

// Service is an OpenSLO v1 Service.
type Service struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   Metadata    `json:"metadata"`
	Spec       ServiceSpec `json:"spec"`
}

// ServiceSpec is a Service's spec.
type ServiceSpec struct {
	Description string `json:"description,omitempty"`
}

// V1SLI is an OpenSLO v1 SLI.
type V1SLI struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       SLISpec  `json:"spec"`
}

// SLISpec is an SLI's spec.
type SLISpec struct {
	Description     string          `json:"description,omitempty"`
	ThresholdMetric *SLIMetricSpec  `json:"thresholdMetric,omitempty"`
	RatioMetric     *SLIRatioMetric `json:"ratioMetric,omitempty"`
}

// SLIRatioMetric is a ratio of good (or bad) to total events.
type SLIRatioMetric struct {
	Counter bool           `json:"counter"`
	Good    *SLIMetricSpec `json:"good,omitempty"`
	Bad     *SLIMetricSpec `json:"bad,omitempty"`
	Total   *SLIMetricSpec `json:"total,omitempty"`
	RawType string         `json:"rawType,omitempty"`
	Raw     *SLIMetricSpec `json:"raw,omitempty"`
}

// SLIMetricSpec is a metric of an SLI.
type SLIMetricSpec struct {
	MetricSource SLIMetricSource `json:"metricSource"`
}

// SLIMetricSource is where a metric comes from.
type SLIMetricSource struct {
	MetricSourceRef string         `json:"metricSourceRef,omitempty"`
	Type            string         `json:"type,omitempty"`
	Spec            map[string]any `json:"spec"`
}

// V1SLO is an OpenSLO v1 SLO.
type V1SLO struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       SLOSpec  `json:"spec"`
}

// SLOSpec is an SLO's spec.
type SLOSpec struct {
	Description     string              `json:"description,omitempty"`
	Service         string              `json:"service"`
	Indicator       *SLOIndicatorInline `json:"indicator,omitempty"`
	IndicatorRef    *string             `json:"indicatorRef,omitempty"`
	BudgetingMethod string              `json:"budgetingMethod"`
	TimeWindow      []SLOTimeWindow     `json:"timeWindow,omitempty"`
	Objectives      []SLOObjective      `json:"objectives"`
	AlertPolicies   []SLOAlertPolicy    `json:"alertPolicies,omitempty"`
}

// HasCompositeObjectives says whether the objectives have SLIs of their own.
func (s SLOSpec) HasCompositeObjectives() bool {
	for i := range s.Objectives {
		if s.Objectives[i].Indicator != nil || s.Objectives[i].IndicatorRef != nil {
			return true
		}
	}
	return false
}

// Budgeting methods.
const (
	budgetingOccurrences = "Occurrences"
)

// SLOIndicatorInline is an SLI written in an SLO.
type SLOIndicatorInline struct {
	Metadata Metadata `json:"metadata"`
	Spec     SLISpec  `json:"spec"`
}

// SLOObjective is one objective of an SLO.
type SLOObjective struct {
	DisplayName     string              `json:"displayName,omitempty"`
	Operator        Operator            `json:"op,omitempty"`
	Value           *float64            `json:"value,omitempty"`
	Target          *float64            `json:"target,omitempty"`
	TargetPercent   *float64            `json:"targetPercent,omitempty"`
	TimeSliceTarget *float64            `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow *DurationShorthand  `json:"timeSliceWindow,omitempty"`
	Indicator       *SLOIndicatorInline `json:"indicator,omitempty"`
	IndicatorRef    *string             `json:"indicatorRef,omitempty"`
	CompositeWeight *float64            `json:"compositeWeight,omitempty"`
}

// SLOTimeWindow is an SLO's window.
type SLOTimeWindow struct {
	Duration  DurationShorthand `json:"duration"`
	IsRolling bool              `json:"isRolling"`
	Calendar  *SLOCalendar      `json:"calendar,omitempty"`
}

// SLOCalendar is where a calendar window starts.
type SLOCalendar struct {
	StartTime string `json:"startTime"`
	TimeZone  string `json:"timeZone"`
}

// SLOAlertPolicy is an alert policy of an SLO: inline or a reference.
type SLOAlertPolicy struct {
	*SLOAlertPolicyInline
	*SLOAlertPolicyRef
}

// SLOAlertPolicyInline is an alert policy written in an SLO.
type SLOAlertPolicyInline struct {
	Kind     string          `json:"kind"`
	Metadata Metadata        `json:"metadata"`
	Spec     AlertPolicySpec `json:"spec"`
}

// SLOAlertPolicyRef names an AlertPolicy.
type SLOAlertPolicyRef struct {
	AlertPolicyRef string `json:"alertPolicyRef"`
}

// DataSource is an OpenSLO v1 DataSource.
type DataSource struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   Metadata       `json:"metadata"`
	Spec       DataSourceSpec `json:"spec"`
}

// DataSourceSpec is a DataSource's spec.
type DataSourceSpec struct {
	Description       string          `json:"description,omitempty"`
	Type              string          `json:"type"`
	ConnectionDetails json.RawMessage `json:"connectionDetails"`
}

// AlertCondition is an OpenSLO v1 AlertCondition.
type AlertCondition struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   Metadata           `json:"metadata"`
	Spec       AlertConditionSpec `json:"spec"`
}

// AlertConditionSpec is an AlertCondition's spec.
type AlertConditionSpec struct {
	Severity    string             `json:"severity"`
	Condition   AlertConditionType `json:"condition"`
	Description string             `json:"description,omitempty"`
}

// AlertConditionType is the condition an alert fires on.
type AlertConditionType struct {
	Kind           string             `json:"kind"`
	Operator       Operator           `json:"op"`
	Threshold      *float64           `json:"threshold"`
	LookbackWindow DurationShorthand  `json:"lookbackWindow"`
	AlertAfter     *DurationShorthand `json:"alertAfter,omitempty"`
}

// conditionBurnRate is the one kind of alert condition.
const conditionBurnRate = "burnrate"

// AlertPolicy is an OpenSLO v1 AlertPolicy.
type AlertPolicy struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   Metadata        `json:"metadata"`
	Spec       AlertPolicySpec `json:"spec"`
}

// AlertPolicySpec is an AlertPolicy's spec.
type AlertPolicySpec struct {
	Description         string                          `json:"description,omitempty"`
	AlertWhenNoData     bool                            `json:"alertWhenNoData,omitempty"`
	AlertWhenBreaching  bool                            `json:"alertWhenBreaching,omitempty"`
	AlertWhenResolved   bool                            `json:"alertWhenResolved,omitempty"`
	Conditions          []AlertPolicyCondition          `json:"conditions,omitempty"`
	NotificationTargets []AlertPolicyNotificationTarget `json:"notificationTargets,omitempty"`
}

// AlertPolicyCondition is a policy's condition: a reference or inline.
type AlertPolicyCondition struct {
	*AlertPolicyConditionRef
	*AlertPolicyConditionInline
}

// AlertPolicyConditionInline is an alert condition written in a policy.
type AlertPolicyConditionInline struct {
	Kind     string             `json:"kind"`
	Metadata Metadata           `json:"metadata"`
	Spec     AlertConditionSpec `json:"spec"`
}

// AlertPolicyConditionRef names an AlertCondition.
type AlertPolicyConditionRef struct {
	ConditionRef string `json:"conditionRef"`
}

// AlertPolicyNotificationTarget is a policy's target: a reference or inline.
type AlertPolicyNotificationTarget struct {
	*AlertPolicyNotificationTargetRef
	*AlertPolicyNotificationTargetInline
}

// AlertPolicyNotificationTargetInline is a target written in a policy.
type AlertPolicyNotificationTargetInline struct {
	Kind     string                      `json:"kind"`
	Metadata Metadata                    `json:"metadata"`
	Spec     AlertNotificationTargetSpec `json:"spec"`
}

// AlertPolicyNotificationTargetRef names an AlertNotificationTarget.
type AlertPolicyNotificationTargetRef struct {
	TargetRef string `json:"targetRef"`
}

// AlertNotificationTarget is an OpenSLO v1 AlertNotificationTarget.
type AlertNotificationTarget struct {
	APIVersion string                      `json:"apiVersion"`
	Kind       string                      `json:"kind"`
	Metadata   Metadata                    `json:"metadata"`
	Spec       AlertNotificationTargetSpec `json:"spec"`
}

// AlertNotificationTargetSpec is an AlertNotificationTarget's spec.
type AlertNotificationTargetSpec struct {
	Description string `json:"description,omitempty"`
	Target      string `json:"target"`
}

// GetKind returns the object's kind.
func (s Service) GetKind() string { return kindService }

// GetName returns the object's name.
func (s Service) GetName() string { return s.Metadata.Name }

// GetKind returns the object's kind.
func (s V1SLI) GetKind() string { return kindSLI }

// GetName returns the object's name.
func (s V1SLI) GetName() string { return s.Metadata.Name }

// GetKind returns the object's kind.
func (s V1SLO) GetKind() string { return kindSLO }

// GetName returns the object's name.
func (s V1SLO) GetName() string { return s.Metadata.Name }

// GetKind returns the object's kind.
func (d DataSource) GetKind() string { return kindDataSource }

// GetName returns the object's name.
func (d DataSource) GetName() string { return d.Metadata.Name }

// GetKind returns the object's kind.
func (a AlertCondition) GetKind() string { return kindAlertCondition }

// GetName returns the object's name.
func (a AlertCondition) GetName() string { return a.Metadata.Name }

// GetKind returns the object's kind.
func (a AlertPolicy) GetKind() string { return kindAlertPolicy }

// GetName returns the object's name.
func (a AlertPolicy) GetName() string { return a.Metadata.Name }

// GetKind returns the object's kind.
func (a AlertNotificationTarget) GetKind() string { return kindAlertNotificationTarget }

// GetName returns the object's name.
func (a AlertNotificationTarget) GetName() string { return a.Metadata.Name }

// DurationShorthand is an OpenSLO duration: a whole number and a unit,
// m, h, d, w, M (month), Q (quarter) or Y (year).
type DurationShorthand struct {
	unit  durationUnit
	value int
}

type durationUnit string

const (
	unitMinute  durationUnit = "m"
	unitHour    durationUnit = "h"
	unitDay     durationUnit = "d"
	unitWeek    durationUnit = "w"
	unitMonth   durationUnit = "M"
	unitQuarter durationUnit = "Q"
	unitYear    durationUnit = "Y"
)

var unitLength = map[durationUnit]time.Duration{
	unitMinute:  time.Minute,
	unitHour:    time.Hour,
	unitDay:     24 * time.Hour,
	unitWeek:    7 * 24 * time.Hour,
	unitMonth:   30 * 24 * time.Hour,
	unitQuarter: 90 * 24 * time.Hour,
	unitYear:    365 * 24 * time.Hour,
}

func newDuration(value int, unit durationUnit) DurationShorthand {
	return DurationShorthand{unit: unit, value: value}
}

// GetUnit returns the unit.
func (d DurationShorthand) GetUnit() durationUnit { return d.unit }

// GetValue returns the number of units.
func (d DurationShorthand) GetValue() int { return d.value }

// UnmarshalText reads a duration like 28d.
func (d *DurationShorthand) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		return nil
	}
	var unit string
	if n, err := fmt.Sscanf(string(text), "%d%s", &d.value, &unit); err != nil || n != 2 {
		return fmt.Errorf("invalid duration shorthand: %s, expected [0-9]+[mhdwMQY]", text)
	}
	d.unit = durationUnit(unit)
	if _, ok := unitLength[d.unit]; !ok || d.value < 0 {
		return fmt.Errorf("invalid duration shorthand: %s, expected [0-9]+[mhdwMQY]", text)
	}
	return nil
}

// MarshalText writes the duration as OpenSLO does.
func (d DurationShorthand) MarshalText() ([]byte, error) {
	if d.value == 0 {
		return []byte{}, nil
	}
	return []byte(d.String()), nil
}

func (d DurationShorthand) String() string {
	if d.value == 0 {
		return ""
	}
	return fmt.Sprintf("%d%s", d.value, d.unit)
}

// Duration returns the duration, with months of 30 days, quarters of 90
// and years of 365.
func (d DurationShorthand) Duration() time.Duration {
	return time.Duration(d.value) * unitLength[d.unit]
}

// decodeObject decodes one OpenSLO v1 document, as the SDK does: the
// fields of its kind and no others.
func decodeObject(n *yaml.Node, kind string) (Object, error) {
	y, err := yaml.Marshal(n)
	if err != nil {
		return nil, err
	}
	j, err := k8syaml.YAMLToJSON(y)
	if err != nil {
		return nil, err
	}
	switch kind {
	case kindService:
		return decodeJSON[Service](j)
	case kindSLO:
		return decodeJSON[V1SLO](j)
	case kindSLI:
		return decodeJSON[V1SLI](j)
	case kindDataSource:
		return decodeJSON[DataSource](j)
	case kindAlertPolicy:
		return decodeJSON[AlertPolicy](j)
	case kindAlertCondition:
		return decodeJSON[AlertCondition](j)
	case kindAlertNotificationTarget:
		return decodeJSON[AlertNotificationTarget](j)
	case "":
		return nil, errors.New("kind: required")
	}
	return nil, fmt.Errorf("kind: %s: OpenSLO v1 has Service, SLI, SLO, DataSource, AlertPolicy, AlertCondition and AlertNotificationTarget", kind)
}

func decodeJSON[T Object](data []byte) (Object, error) {
	var o T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	if o.GetName() == "" {
		return nil, errors.New("metadata.name: required")
	}
	return o, nil
}

// check makes the checks on an SLO that import relies on and that the
// mapping does not make itself: which fields must be there.
func (s V1SLO) check() error {
	sp := s.Spec
	if sp.Service == "" {
		return errors.New("spec.service: required")
	}
	if sp.Indicator != nil && sp.IndicatorRef != nil {
		return errors.New("spec.indicator and spec.indicatorRef: one or the other, not both")
	}
	if sp.Indicator != nil && sp.Indicator.Metadata.Name == "" {
		return errors.New("spec.indicator.metadata.name: required")
	}
	for i, p := range sp.AlertPolicies {
		switch {
		case p.SLOAlertPolicyInline != nil && p.SLOAlertPolicyRef != nil:
			return fmt.Errorf("spec.alertPolicies[%d]: alertPolicyRef or an inline AlertPolicy, not both", i)
		case p.SLOAlertPolicyInline == nil && p.SLOAlertPolicyRef == nil:
			return fmt.Errorf("spec.alertPolicies[%d]: want alertPolicyRef or an inline AlertPolicy", i)
		case p.SLOAlertPolicyInline != nil && p.SLOAlertPolicyInline.Metadata.Name == "":
			return fmt.Errorf("spec.alertPolicies[%d].metadata.name: required", i)
		}
	}
	return nil
}

func newService(md Metadata, spec ServiceSpec) Service {
	return Service{APIVersion: apiVersion, Kind: kindService, Metadata: md, Spec: spec}
}

func newSLI(md Metadata, spec SLISpec) V1SLI {
	return V1SLI{APIVersion: apiVersion, Kind: kindSLI, Metadata: md, Spec: spec}
}

func newSLO(md Metadata, spec SLOSpec) V1SLO {
	return V1SLO{APIVersion: apiVersion, Kind: kindSLO, Metadata: md, Spec: spec}
}

func newAlertCondition(md Metadata, spec AlertConditionSpec) AlertCondition {
	return AlertCondition{APIVersion: apiVersion, Kind: kindAlertCondition, Metadata: md, Spec: spec}
}

func newAlertPolicy(md Metadata, spec AlertPolicySpec) AlertPolicy {
	return AlertPolicy{APIVersion: apiVersion, Kind: kindAlertPolicy, Metadata: md, Spec: spec}
}

func newAlertNotificationTarget(md Metadata, spec AlertNotificationTargetSpec) AlertNotificationTarget {
	return AlertNotificationTarget{APIVersion: apiVersion, Kind: kindAlertNotificationTarget, Metadata: md, Spec: spec}
}
