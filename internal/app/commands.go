package app

import (
	"github.com/deploytrail/deploytrail/internal/codedeploy"
	"github.com/deploytrail/deploytrail/internal/pkcs7"
)

// newCommandService builds the agent command service: its specification
// signing key lives in the data directory (0600), made on first start.
// Its calls are recorded only when RecordAgentCalls is set.
func newCommandService(cfg Config, deploy *codedeploy.Service) (*codedeploy.CommandService, error) {
	signer, err := pkcs7.LoadSigner(cfg.Data, "codedeploy-spec-signing", "deploytrail CodeDeploy deployment specifications")
	if err != nil {
		return nil, err
	}
	c := codedeploy.NewCommandService(deploy, signer, codedeploy.PollTiming{Hold: cfg.AgentPollHold, Repoll: cfg.AgentRepoll})
	c.Legacy.Unaudited, c.Secure.Unaudited = !cfg.RecordAgentCalls, !cfg.RecordAgentCalls
	return c, nil
}
