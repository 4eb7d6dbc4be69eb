package admin

// graphiqlPage is the shop's GraphiQL page. It holds no data: it loads
// GraphiQL from a CDN and sends the admin token the user pastes as a bearer
// header with every query.
const graphiqlPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>shop admin · GraphiQL</title>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
  <style>
    body { margin: 0; height: 100vh; display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
    header { padding: 8px 12px; display: flex; gap: 8px; align-items: center; border-bottom: 1px solid #ddd; }
    header input { flex: 1; font-family: monospace; }
    #graphiql { flex: 1; }
  </style>
</head>
<body>
  <header>
    <strong>shop admin</strong>
    <label for="token">Admin token</label>
    <input id="token" placeholder="paste the token from POST /api/v1/auth/login" autocomplete="off">
  </header>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
  <script>
    const input = document.getElementById('token');
    input.value = sessionStorage.getItem('shop-admin-token') || '';
    input.addEventListener('change', () => sessionStorage.setItem('shop-admin-token', input.value.trim()));
    const fetcher = async (params) => {
      const res = await fetch('/admin/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + input.value.trim() },
        body: JSON.stringify(params),
      });
      return res.json();
    };
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: '{ products(first: 5, orderBy: {field: PRICE, direction: DESC}) { totalCount edges { node { id name price stock } } } }' }));
  </script>
</body>
</html>
`
