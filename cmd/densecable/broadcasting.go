package main

// setupBroadcasting prepares the broadcasters named by --broadcast_adapter.
func (a *app) setupBroadcasting() error { return nil }

// startBroadcasting starts them.
func (a *app) startBroadcasting() error { return nil }
