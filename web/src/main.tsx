import { render } from "preact";
import "../../service/sdk/poseidon-circomlibjs.ts";
import { App } from "./app.tsx";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
