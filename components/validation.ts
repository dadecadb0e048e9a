/**
 * The standalone argument checks, public as `zdp/validation`: a team can check a service's arguments (or its stack
 * config entry) in its own tests or CI before anything is declared. Each returns the problems found, as messages that
 * start with the field's path; none means valid. BlueGreenService runs the same checks on construction.
 */
export { checkCanarySteps, checkImageReference, checkQuantity, checkServiceName } from "./blueGreenService/checks";
export { validateBlueGreenServiceArgs } from "./blueGreenService/validation";
