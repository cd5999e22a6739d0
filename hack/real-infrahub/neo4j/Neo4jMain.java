import java.nio.file.Path;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Embedded Neo4j Community with a Bolt connector on 127.0.0.1:PORT, data under HOME.
 * Usage: Neo4jMain HOME PORT. The Neo4j server distribution is not on Maven Central; the embedded
 * database with neo4j-bolt is, and Infrahub only needs Bolt. Auth is off (the embedded default)
 * and Infrahub's basic-auth login is accepted as is. SIGTERM shuts the database down cleanly,
 * which the snapshot of a seeded database relies on.
 */
public class Neo4jMain {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(256))
            // Test data: keep one transaction log file instead of days of them.
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            System.out.println("NEO4J STOPPED");
        }));
        System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
        Thread.currentThread().join();
    }
}
