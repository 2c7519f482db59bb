// Package trail turns API calls into CloudTrail event records
// (docs: shared/spec/cloudtrail.md §2–§5).
//
// Build is pure: it takes one finished call (who, what, the decoded
// request, the output tree or error) and returns the record, redacted and
// size-limited, ready to marshal. It does no I/O and no logging. trail
// imports only awserr and awsproto of ours; storage and delivery of the
// records belong to other packages.
package trail

// Values of the record's constant fields.
const (
	// EventVersion is the record format we write (spec §2.3).
	EventVersion = "1.11"
	// EventTypeAPICall is the eventType of every record Build writes.
	EventTypeAPICall = "AwsApiCall"
	// CategoryManagement is the eventCategory of management events: every
	// API call but S3's object-level ones.
	CategoryManagement = "Management"
	// CategoryData is the eventCategory of data events (S3 object-level
	// calls, spec §4.3): managementEvent false, stored only when a trail
	// selects them, never in event history.
	CategoryData = "Data"
	// Hidden replaces secret values in requestParameters and
	// responseElements (spec §4.4).
	Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
)

// Event is one CloudTrail record. Its JSON has the key order of spec §2.2;
// requestParameters and responseElements are always present (null when
// empty). Fields of Insights events and of CloudTrail Lake (eventContext,
// insightDetails) are not modelled: they never appear in trail log files.
type Event struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        *UserIdentity  `json:"userIdentity,omitempty"`
	EventTime           string         `json:"eventTime"`
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress"`
	UserAgent           string         `json:"userAgent,omitempty"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            *bool          `json:"readOnly,omitempty"`
	Resources           []Resource     `json:"resources,omitempty"`
	EventType           string         `json:"eventType"`
	ManagementEvent     *bool          `json:"managementEvent,omitempty"`
	RecipientAccountID  string         `json:"recipientAccountId,omitempty"`
	ServiceEventDetails map[string]any `json:"serviceEventDetails,omitempty"`
	// SharedEventID links the copies of one call delivered to different
	// accounts (spec §10.4).
	SharedEventID        string    `json:"sharedEventID,omitempty"`
	VPCEndpointID        string    `json:"vpcEndpointId,omitempty"`
	VPCEndpointAccountID string    `json:"vpcEndpointAccountId,omitempty"`
	EventCategory        string    `json:"eventCategory"`
	Addendum             *Addendum `json:"addendum,omitempty"`
	// SessionCredentialFromConsole is "true" or absent.
	SessionCredentialFromConsole string      `json:"sessionCredentialFromConsole,omitempty"`
	TLSDetails                   *TLSDetails `json:"tlsDetails,omitempty"`
}

// Resource is one element of a record's resources array. Note the
// upper-case ARN keys, as AWS writes them.
type Resource struct {
	ARN       string `json:"ARN,omitempty"`
	ARNPrefix string `json:"ARNPrefix,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

// Addendum marks a record delivered late or correcting an earlier one.
type Addendum struct {
	Reason            string `json:"reason"` // DELIVERY_DELAY, UPDATED_DATA, SERVICE_OUTAGE
	UpdatedFields     string `json:"updatedFields,omitempty"`
	OriginalRequestID string `json:"originalRequestID,omitempty"`
	OriginalEventID   string `json:"originalEventID,omitempty"`
}

// TLSDetails describes the TLS connection a call came over. Partial
// objects are allowed.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion,omitempty"`
	CipherSuite              string `json:"cipherSuite,omitempty"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
	KeyExchange              string `json:"keyExchange,omitempty"`
}

// UserIdentity is who made a call (spec §3).
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// UserName is the user's name for IAMUser, the account alias for
	// Root; absent for sessions.
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// SessionContext describes the temporary credentials a call was signed
// with.
type SessionContext struct {
	SessionIssuer *SessionIssuer `json:"sessionIssuer,omitempty"`
	// WebIDFederationData is {} for every session with an issuer: we have
	// no web-identity federation.
	WebIDFederationData *WebIDFederationData `json:"webIdFederationData,omitempty"`
	Attributes          *SessionAttributes   `json:"attributes,omitempty"`
	SourceIdentity      string               `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role, user or root whose credentials issued a
// session.
type SessionIssuer struct {
	Type        string `json:"type"` // Role, IAMUser or Root
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// WebIDFederationData names the web identity provider of an
// AssumeRoleWithWebIdentity session.
type WebIDFederationData struct {
	FederatedProvider string            `json:"federatedProvider,omitempty"`
	Attributes        map[string]string `json:"attributes,omitempty"`
}

// SessionAttributes are a session's creation time and MFA state.
type SessionAttributes struct {
	CreationDate string `json:"creationDate,omitempty"` // 2006-01-02T15:04:05Z
	// MFAAuthenticated is the string "true" or "false", as AWS writes it.
	MFAAuthenticated string `json:"mfaAuthenticated"`
}
