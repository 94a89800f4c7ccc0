/// Placeholder replaced by the storage engineer.
public enum ExtractWorker {
    public static func main(arguments: [String]) -> Int32 { 1 }
}
