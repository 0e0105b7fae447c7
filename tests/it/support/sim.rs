//! Starting the simulator in-process for tests.
