// The broker of the apache/activemq-artemis stand-in (tools/compose/standins/artemis): an embedded
// Artemis on the broker.xml given as its argument, with the users of the official image's
// variables: ARTEMIS_USER / ARTEMIS_PASSWORD (role amq, which may do everything on "#" when
// broker.xml has no security-settings), ANONYMOUS_LOGIN=true turning security off.
import java.io.File;
import java.util.Set;
import org.apache.activemq.artemis.core.config.FileDeploymentManager;
import org.apache.activemq.artemis.core.config.impl.FileConfiguration;
import org.apache.activemq.artemis.core.config.impl.SecurityConfiguration;
import org.apache.activemq.artemis.core.security.Role;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.spi.core.security.ActiveMQJAASSecurityManager;
import org.apache.activemq.artemis.spi.core.security.jaas.InVMLoginModule;

public class ArtemisContainer {
  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: ArtemisContainer /path/to/broker.xml");
      System.exit(2);
    }
    long began = System.currentTimeMillis();
    FileConfiguration config = new FileConfiguration();
    FileDeploymentManager deployment = new FileDeploymentManager(new File(args[0]).toURI().toString());
    deployment.addDeployable(config);
    deployment.readConfiguration();
    config.setBrokerInstance(new File(System.getProperty("artemis.instance", ".")));
    if (Boolean.parseBoolean(env("ANONYMOUS_LOGIN", "false"))) {
      config.setSecurityEnabled(false);
    }
    if (config.isSecurityEnabled() && config.getSecurityRoles().isEmpty()) {
      config.putSecurityRoles("#", Set.of(new Role("amq", true, true, true, true, true, true, true, true, true, true, true, true)));
    }
    SecurityConfiguration users = new SecurityConfiguration();
    String user = env("ARTEMIS_USER", "artemis");
    users.addUser(user, env("ARTEMIS_PASSWORD", "artemis"));
    users.addRole(user, "amq");

    EmbeddedActiveMQ server = new EmbeddedActiveMQ();
    server.setConfiguration(config);
    server.setSecurityManager(new ActiveMQJAASSecurityManager(InVMLoginModule.class.getName(), users));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop();
        System.out.println("ARTEMIS STOPPED");
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    server.start();
    System.out.println("ARTEMIS STARTED in " + (System.currentTimeMillis() - began) + " ms (version "
        + server.getActiveMQServer().getVersion().getFullVersion() + ", " + args[0] + ", security "
        + (config.isSecurityEnabled() ? "on" : "off") + ")");
    Thread.currentThread().join();
  }
}
