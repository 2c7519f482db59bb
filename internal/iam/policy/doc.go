// Package policy implements the IAM policy language: it parses and
// validates JSON policy documents the way IAM does, and evaluates them
// against a request.
//
// # Documents
//
// [Parse] turns a policy document into a [Document]. Identity policies
// (inline and managed policies of users, groups and roles, session and
// federation policies) must not name a principal; trust policies (a role's
// AssumeRolePolicyDocument) must name one in every statement. Anything IAM
// would refuse is a [*MalformedError] whose Message is the text IAM puts in
// its MalformedPolicyDocument error, so callers can return it unchanged.
//
// # Evaluation
//
// [Evaluate] applies IAM's rule within one policy set: an explicit Deny
// wins, otherwise any Allow allows, otherwise the request is implicitly
// denied. [EvaluateSession] intersects identity policies with session
// policies and reports which of them refused, so the caller can word the
// AccessDenied message as AWS does.
//
// Conditions, policy variables (${aws:username} and friends, only in
// Version 2012-10-17 documents) and principals are resolved only from the
// [Request]; the caller fills Request.Context with every condition key it
// knows (aws:SourceIp, aws:PrincipalAccount, aws:CurrentTime, …).
//
// The package is pure: it does no I/O, no logging, keeps no state, and
// imports nothing from this repository, so it can be fuzzed and reused by
// every service that needs an authorization decision.
package policy
