import GhostIO

/// Ctrl-C (SIGINT) and SIGTERM during training: the first one becomes a flag the training loop polls between
/// batches, so the loop writes a checkpoint and stops cleanly (the command then exits 130 / 143); a second one
/// stops at once like any other command (`InterruptHandler`: temp files removed, the last checkpoint intact).
public enum Interrupt {
    /// True once a signal arrived.
    public static var requested: Bool { InterruptHandler.requested }

    /// Switches the process's handler (installed by the CLI, or here when the library runs alone) to polling.
    public static func install() {
        InterruptHandler.install(command: "train")
        InterruptHandler.pollInstead()
    }
}
