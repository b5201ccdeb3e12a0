package main

import "fmt"

// Commands name what they act on with flags, as the AWS CLI does: --id for
// things with ids (executions, invitations, users), --name for things with
// names (databases, state machines). Commands that took the identifier as
// their argument before still accept it there, through IDFlag and NameFlag;
// the embedding command sets the help text with set:"what=…".

// IDFlag is an --id flag that may also be given as the command's argument.
type IDFlag struct {
	IDArg string `arg:"" optional:"" name:"id" help:"The same as --id."`
	ID    string `name:"id" help:"${what}."`
}

// AfterApply leaves the id in ID, whichever way it was given.
func (f *IDFlag) AfterApply() error { return pickIdentifier("id", &f.ID, f.IDArg) }

// NameFlag is a --name flag that may also be given as the command's argument.
type NameFlag struct {
	NameArg string `arg:"" optional:"" name:"name" help:"The same as --name."`
	Name    string `name:"name" help:"${what}."`
}

// AfterApply leaves the name in Name, whichever way it was given.
func (f *NameFlag) AfterApply() error { return pickIdentifier("name", &f.Name, f.NameArg) }

// pickIdentifier resolves an identifier that may come as the flag --name
// (*flag) or as the argument arg: it leaves the one given in *flag, and
// refuses neither or two that differ.
func pickIdentifier(name string, flag *string, arg string) error {
	switch {
	case *flag == "" && arg == "":
		return fmt.Errorf("missing --%s (or give it as the argument)", name)
	case *flag == "":
		*flag = arg
	case arg != "" && arg != *flag:
		return fmt.Errorf("--%s %q and the argument %q differ; give it once", name, *flag, arg)
	}
	return nil
}
