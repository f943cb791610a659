/**
 * @module test/live/nginx-config
 * The nginx configuration the live tests and the overhead benchmark run: foreground, its own
 * prefix and temp paths (no packaged state touched), no access log, loopback only.
 */

export interface NginxConfig {
  dir: string;
  port: number;
  workers: number;
  keepaliveRequests: number;
  /** `location` blocks, as nginx syntax. */
  locations: string;
}

export function nginxConfig(c: NginxConfig): string {
  return `
daemon off;
master_process on;
worker_processes ${c.workers};
pid ${c.dir}/nginx.pid;
error_log ${c.dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${c.dir}/body;
  proxy_temp_path ${c.dir}/proxy;
  fastcgi_temp_path ${c.dir}/fastcgi;
  uwsgi_temp_path ${c.dir}/uwsgi;
  scgi_temp_path ${c.dir}/scgi;
  keepalive_requests ${c.keepaliveRequests};
  server {
    listen 127.0.0.1:${c.port};
${c.locations}
  }
}
`;
}
