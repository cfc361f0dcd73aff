package opendata.dev;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.solr.client.api.util.SolrVersion;

/**
 * Runs Apache Solr for the local stack: one node, the cores found under SOLR_HOME, answering on
 * 127.0.0.1:PORT/solr (the runner binds to loopback only). Solr's own HTTP API, request handlers and
 * analysis, in solr-core's embedded Jetty runner: what the production image runs, without its scripts.
 * dev/portal.py starts it, checks its ping endpoint and stops it by pid; SIGTERM shuts Jetty and the
 * cores down cleanly.
 */
public final class SolrLauncher {
    private SolrLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SolrLauncher SOLR_HOME PORT");
            System.exit(2);
        }
        JettyConfig config = JettyConfig.builder()
                .setPort(Integer.parseInt(args[1]))
                .setContext("/solr")
                .useOnlyHttp1(true)
                .stopAtShutdown(true)
                .build();
        JettySolrRunner solr = new JettySolrRunner(args[0], config);
        solr.start();
        System.out.println("Apache Solr " + SolrVersion.LATEST + " answering at " + solr.getBaseUrl());
        Thread.currentThread().join();
    }
}
