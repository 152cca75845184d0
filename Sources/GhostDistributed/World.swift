/// The communicator of this process's job, chosen once at start-up (GhostMPI's `MPIWorld.start()` under mpirun);
/// `SingleProcess` otherwise.
public enum World {
    nonisolated(unsafe) public static var current: Communicator = SingleProcess()
}
