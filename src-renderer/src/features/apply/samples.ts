// The sample the empty states offer: a small web server Deployment and a Service in front of it.
export const SAMPLE_WEB = `# A sample: two busybox web servers and a Service in front of them.
# Apply it, then watch Pods, Services and Activity fill in.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-web
  labels:
    app: hello-web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: hello-web
  template:
    metadata:
      labels:
        app: hello-web
    spec:
      containers:
        - name: web
          image: busybox:latest
          command: ["sh", "-c", "echo hello from $(hostname) > /tmp/index.html && httpd -f -p 8080 -h /tmp"]
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 50m
              memory: 16Mi
---
apiVersion: v1
kind: Service
metadata:
  name: hello-web
spec:
  selector:
    app: hello-web
  ports:
    - port: 80
      targetPort: 8080
`;

export const SAMPLES: Record<string, string> = { web: SAMPLE_WEB };
