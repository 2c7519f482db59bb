package codedeploy

// PLACEHOLDER: replaced by the implementation of these operations.
func (s *Service) registerInstances() {}
